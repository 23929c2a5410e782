// WiringResults: see README.md in this folder.
