#!/usr/bin/env bash
# Installs exactly the Debian 12 packages aicq needs to build and test, and nothing when they are all
# present (idempotent). Runs as root on a fresh machine; needs nothing but apt.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates
  # libraries (docs/architecture.md names where each is used)
  libyaml-cpp-dev      # site declarations, profiles, data files
  nlohmann-json3-dev   # evidence and result JSON
  libcli11-dev         # command line
  libfmt-dev           # formatting
  libssl-dev           # SHA-256 fingerprints and Ed25519 signatures
  libsqlite3-dev       # the store: result history
  chromium             # browser tests of the HTML report (driven by playwright-core)
  libgtest-dev libgmock-dev  # tests through ctest
  clang libclang-rt-14-dev   # libFuzzer targets of the importers (tests/fuzz)
  fonts-wqy-microhei   # a CJK font, so that Chinese reports render in the browser tests
  fio                  # a test runs Debian's fio for its current JSON schema (fio importer)
  libhwloc-dev         # hardware discovery: topology, caches, NUMA (src/aicq/hw)
  libopenblas-dev      # compute.gemm (DGEMM) and compute.linpack (dgetrf/dgetrs) probes
  libdnnl-dev          # compute.gemm FP32/BF16/INT8 matmul through oneDNN
  libblis-dev          # compat.runtimes and the gap diagnosis: BLIS beside OpenBLAS (loaded with dlopen)
  libcpp-httplib-dev   # Prometheus /metrics server, Prometheus HTTP API and Redfish clients
  prometheus           # a test starts a real Prometheus on loopback that scrapes `aicq monitor`
  prometheus-node-exporter  # bench/: sampler overhead side by side with node_exporter
  ipmitool             # server power through IPMI DCMI (`ipmitool dcmi power reading`)
  hpcc                 # bench/: DGEMM, HPL and STREAM side by side with Debian's HPC Challenge
  libbenchmark-dev     # bench/: Google Benchmark micro-benchmarks
  zlib1g-dev           # the gzipped IDX files of Fashion-MNIST (ai.train, ai.infer)
  libtorch-dev         # ai.train, ai.infer, resilience.* (libtorch 1.13, CPU)
  dataset-fashion-mnist  # the real dataset ai.train trains on (/usr/share/datasets/fashion-mnist)
  python3-torch        # bench/: the same CNN trained with PyTorch side by side (Debian's /usr/bin/python3)
  python3              # bench/: side_by_side.sh and sampler_overhead.sh scrape and summarise with /usr/bin/python3
  libopenmpi-dev       # aicq run --mpi: MPI C API (OpenMPI 4.1) of src/aicq/cluster
  openmpi-bin          # mpirun: the cluster tests launch aicq run --mpi with 2 and 4 ranks
  slurm-wlm            # a test starts a private single-node Slurm and runs srun --mpi=pmix … aicq run --mpi
  munge                # Slurm's authentication, started by that test on a private socket
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm for the web assets (package.json): Debian's packages unless a node is already there.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages exactly as package-lock.json pins them (ECharts is embedded into the binary at build time).
cd "$(dirname "$0")/.."
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.aicq-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.aicq-lock-sha256
else
  echo "install-deps: npm packages present (package-lock.json unchanged)"
fi
