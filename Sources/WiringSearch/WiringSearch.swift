// WiringSearch: see README.md in this folder.
