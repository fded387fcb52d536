"""One module per legal topic; each cites its articles. Pure functions over events and tables."""
