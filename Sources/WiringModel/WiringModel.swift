// WiringModel: see README.md in this folder.
