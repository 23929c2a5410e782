# WiringLab build entry points. Release builds get their optimisation flags here (not in
# Package.swift: unsafeFlags only work in a root package and would block use as a dependency).
#   make run    install what is missing, build release, run experiments/quickstart.yaml
#   make test   install what is missing (Debian packages, and tensorboard in .venv-tools/), run the whole test suite
#   make slurm-test  the Slurm tests on a one-node cluster started here (root; tools/slurm-test.sh)
#   make bench  release build, engine and supernet benchmarks (torch side by side when available)
#   make reproduce  the report tier of every paper experiment (experiments/paper/), then REPRODUCTION.md;
#               resumable: running it again continues where it stopped
#   make reproduce-regime  only the regime tier (P1-P3 and the init-cost regime search), then REPRODUCTION.md

SWIFT ?= swift
# AVX2 + FMA where the CPU has them. -Ounchecked is NOT used: it strips precondition checks.
CPU_FLAGS := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc haswell")
# Cross-module optimisation lets the generic (Float/Double) supernet code specialise across modules;
# without it every kernel runs as unspecialised generic code, about 30x slower.
RELEASE := -c release -Xswiftc -cross-module-optimization $(CPU_FLAGS)
BIN := $(shell $(SWIFT) build $(RELEASE) --show-bin-path 2>/dev/null)
APT_RUNTIME := libhdf5-dev zlib1g-dev dataset-fashion-mnist
APT_TEST := $(APT_RUNTIME) python3-h5py python3-matplotlib python3-numpy python3-xarray python3-h5netcdf netcdf-bin python3-netcdf4 \
            python3-pandas python3-venv
# TensorBoard has no Debian package: the tests read event files with the PyPI `tensorboard` in a virtual
# environment that also sees Debian's numpy, h5py and pandas (--system-site-packages).
TOOLS_VENV := .venv-tools
EXPERIMENT ?= experiments/quickstart.yaml

.PHONY: run test slurm-test bench build deps deps-test plots clean reproduce reproduce-regime report

run: deps build
	$(BIN)/wiringlab run $(EXPERIMENT)

build:
	$(SWIFT) build $(RELEASE) --product wiringlab

test: deps-test
	$(SWIFT) test

slurm-test: deps-test
	tools/slurm-test.sh

bench: deps
	@tools/ensure-packages.sh python3-torch || echo "bench: python3-torch could not be installed; the PyTorch peer's figures are left out"
	$(SWIFT) build $(RELEASE) --product wiringbench
	$(BIN)/wiringbench

deps:
	@tools/ensure-packages.sh $(APT_RUNTIME)

deps-test:
	@tools/ensure-packages.sh $(APT_TEST)
	@$(MAKE) --no-print-directory $(TOOLS_VENV)/bin/tensorboard

$(TOOLS_VENV)/bin/tensorboard:
	/usr/bin/python3 -m venv --system-site-packages $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check tensorboard

# The report tier, cheapest first so that an interrupted reproduction still leaves whole experiments; then the
# regime tier: the runs where the paper's patterns P1-P3 can arise (their premises need long, over-fitting runs).
PAPER := claim7-eps claim10-seeds claim9-affine appxh-norm fig21 fig19 appxh-order fig9b fig9a evolution-dsnas fig4 \
         fig16 fig15 evolution-snas fig10b fig10a
REGIME := regime-init p1p2-dsnas p3-darts
PYTHON ?= /usr/bin/python3

reproduce: deps-test build
	@start=$$(date +%s); \
	for m in $(PAPER) $(REGIME); do $(BIN)/wiringlab run experiments/paper/$$m.yaml || exit $$?; done; \
	echo "reproduce: experiments took $$(( $$(date +%s) - start )) s"
	$(MAKE) report

reproduce-regime: deps-test build
	@start=$$(date +%s); \
	for m in $(REGIME); do $(BIN)/wiringlab run experiments/paper/$$m.yaml || exit $$?; done; \
	echo "reproduce-regime: experiments took $$(( $$(date +%s) - start )) s"
	$(MAKE) report

report:
	$(PYTHON) tools/reproduce_report.py --results results \
	    --out REPRODUCTION.md --figures docs/reproduction

clean:
	rm -rf .build
