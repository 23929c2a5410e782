// WiringData: see README.md in this folder.
