// WiringExperiment: see README.md in this folder.
