"""The comparison of value disciplines and the demo."""
