"""Reading and writing: subscriber and day files, OpenStreetMap extracts, the workspace."""
