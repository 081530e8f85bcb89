#!/usr/bin/env python3
"""flux-pow's Equihash solver against John Tromp's CPU solvers, per nonce, on the same headers.

Tromp's code is never part of this repository: with --build-tromp the script exports his public
source from a checkout or git directory you name (--tromp-src; e.g. a clone of tromp/equihash)
into a scratch directory outside the repository and builds it there:

- 200,9: `eqasm1` (one thread) and `eqasm` (threads with atomics), his fastest CPU builds
  (xenoncat's AVX2 assembly BLAKE2b, assembled with fasm, which is installed with apt-get if
  missing);
- 144,5: `eq14451` / `eq1445`, run with the "ZelProof" personalization as fluxd uses.

Newer GCC (12+) rejects an alignment attribute in his bundled BLAKE2 header on structs the
solver never uses; the build makes that macro empty in the scratch copy (nothing else changes).
125,4 has no Tromp build (64-byte digests, 16-byte slices and the twist; see the pow spec, §8):
for it (and any set without one) the script runs flux-pow alone, `--rounds` random headers of
`--nonces` nonces each, and prints the median, min and max per nonce, the median of each phase
(hashing, the collision rounds, the final round, the candidate checks) and the peak resident
memory of the solving process, the figures of the issue's 125,4 goal.

Method: for each parameter set and thread count, `--rounds` rounds; each round draws a random
header and runs both solvers on the same `--nonces` consecutive nonces (the little-endian word
at bytes 108..112 counted up, Tromp's `-n`/`-r` convention), alternating which goes first. The
first nonce of every run pays for mapping memory and is reported apart ("warm-up"). flux's
times are its own per-nonce timer (`flux pow solve` stderr); Tromp's are the gaps between his
per-nonce result lines, read as they are printed (line-buffered). Both print the solutions in
the minimal encoding, and every run's two solution sets are compared.

Usage:
  python3 flux-pow/benches/vs_tromp.py --build-tromp --tromp-src PATH [--params 200,9 144,5]
      [--threads 1 2] [--nonces 5] [--rounds 3]
  python3 flux-pow/benches/vs_tromp.py --params 125,4 --threads 2 --nonces 10 --rounds 1
      (flux-pow alone: no Tromp build needed)
  python3 flux-pow/benches/vs_tromp.py --vectors OUT.json --tromp-src PATH --build-tromp
      (writes Tromp's solution sets for the solver tests' headers)

The machine's load average is printed with every figure: on a shared machine, read the ratio of
interleaved runs, not the absolute times.
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import io
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# (n, k) -> (one-thread build, multi-thread build, make flags are in Tromp's Makefile, -p tag)
TROMP_BUILDS = {
    (200, 9): ("eqasm1", "eqasm", "ZcashPoW"),
    (144, 5): ("eq14451", "eq1445", "ZelProof"),
}

# The sets `flux pow solve` takes; those without a Tromp build are timed on their own.
SOLVABLE = [(200, 9), (144, 5), (125, 4), (96, 5), (48, 5)]


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def export_source(src, dest):
    """Copies Tromp's source (a work tree or a git directory) to dest, outside the repository."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    git_dir = src if os.path.exists(os.path.join(src, "HEAD")) else os.path.join(src, ".git")
    if os.path.exists(os.path.join(git_dir, "HEAD")):
        archive = subprocess.run(
            ["git", "--git-dir", git_dir, "archive", "HEAD"], check=True, capture_output=True
        ).stdout
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(dest)
        commit = subprocess.run(
            ["git", "--git-dir", git_dir, "rev-parse", "HEAD"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    else:
        shutil.copytree(src, dest, dirs_exist_ok=True)
        commit = "work tree"
    return commit


def build_tromp(src, dest):
    if os.path.commonpath([os.path.abspath(dest), REPO]) == REPO:
        sys.exit("refusing to build Tromp's code inside the repository")
    commit = export_source(src, dest)
    if shutil.which("fasm") is None:
        print("installing fasm (apt-get) for the assembly BLAKE2b", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "fasm"], check=True)
    header = os.path.join(dest, "blake", "blake2.h")
    with open(header) as f:
        text = f.read()
    text = text.replace(
        "#define ALIGN(x) __attribute__ ((__aligned__(x)))", "#define ALIGN(x)"
    )
    with open(header, "w") as f:
        f.write(text)
    subprocess.run(["fasm", "zcblake2_avx2.asm"], cwd=os.path.join(dest, "blake2-asm", "asm"),
                   check=True, capture_output=True)
    targets = [name for builds in TROMP_BUILDS.values() for name in builds[:2]]
    subprocess.run(["make", *targets], cwd=dest, check=True, capture_output=True)
    print(f"built Tromp's {' '.join(targets)} from {commit} in {dest}", file=sys.stderr)


def flux_binary(args):
    if args.flux:
        return args.flux
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    subprocess.run(["cargo", "build", "--release", "-p", "examples", "--bin", "flux"],
                   cwd=REPO, check=True)
    return os.path.join(target, "release", "flux")


def with_nonce(header, nonce):
    return header[:108] + nonce.to_bytes(4, "little") + header[112:]


def run_flux_detailed(flux, n, k, header, nonces, threads):
    """Per-nonce seconds, per-nonce phase seconds, the set of solutions (hex) and the peak
    resident memory of the process in bytes."""
    # Output goes to files and the child is reaped with wait4, whose usage is this one
    # process's own (the children's total of getrusage would include the cargo build's).
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [flux, "pow", "solve", str(n), str(k), header.hex(), "--nonces", str(nonces),
             "--threads", str(threads)],
            stdout=out, stderr=err, text=True,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    if process.returncode != 0:
        sys.exit(f"flux pow solve failed:\n{stderr}")
    found = re.findall(r"solution\(s\) in ([0-9.]+) s .*?phases ([0-9. ]+) s\)", stderr)
    if len(found) != nonces:
        sys.exit(f"unexpected flux output:\n{stderr}")
    times = [float(total) for total, _ in found]
    phases = [[float(p) for p in listed.split()] for _, listed in found]
    return times, phases, set(stdout.split()), peak


def run_flux(flux, n, k, header, nonces, threads):
    """Per-nonce seconds and the set of solutions (hex)."""
    times, _, solutions, _ = run_flux_detailed(flux, n, k, header, nonces, threads)
    return times, solutions


def flux_alone(args, flux, n, k):
    """flux-pow on its own (no Tromp build for the set): per-nonce and per-phase medians and
    the peak memory."""
    rng = random.Random(args.seed)
    for threads in args.threads:
        times, phases, warm, peak, loads = [], [], [], 0, [load()]
        for _ in range(args.rounds):
            header = with_nonce(bytes(rng.getrandbits(8) for _ in range(140)), 0)
            run_times, run_phases, _, run_peak = run_flux_detailed(
                flux, n, k, header, args.nonces + 1, threads)
            warm.append(run_times[0])
            times.extend(run_times[1:])
            phases.extend(run_phases[1:])
            peak = max(peak, run_peak)
            loads.append(load())
        columns = min(len(p) for p in phases)
        phase_medians = [statistics.median(p[i] for p in phases) for i in range(columns)]
        print(f"{n},{k} on {threads} thread(s), flux-pow alone, load average "
              f"{' -> '.join(loads)}:")
        print(f"  flux-pow: {summary(times)}; warm-up nonce median "
              f"{statistics.median(warm):.3f} s")
        print(f"  phase medians (hashing, collision rounds, final round, candidates): "
              f"{' '.join(f'{m:.3f}' for m in phase_medians)} s")
        print(f"  peak resident memory: {peak / 2**30:.3f} GiB")


def run_tromp(tromp_dir, n, k, header, nonces, threads):
    one, many, tag = TROMP_BUILDS[(n, k)]
    binary = os.path.join(tromp_dir, one if threads == 1 else many)
    first = int.from_bytes(header[108:112], "little")
    command = ["stdbuf", "-oL", binary, "-t", str(threads), "-p", tag, "-x", header.hex(),
               "-n", str(first), "-r", str(nonces), "-s", "-c"]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    marks, solutions = [], set()
    for line in process.stdout:
        if line.startswith("Solution "):
            solutions.add(line.split()[1])
        elif re.fullmatch(r"\d+ solutions\n", line):
            marks.append(time.monotonic())
    if process.wait() != 0:
        sys.exit(f"{binary} failed")
    times = [b - a for a, b in zip([started] + marks, marks)]
    return times, solutions


def summary(times):
    return (f"median {statistics.median(times):.3f} s, min {min(times):.3f}, "
            f"max {max(times):.3f} ({len(times)} nonces)")


def compare(args, flux, tromp_dir):
    rng = random.Random(args.seed)
    for params in args.params:
        n, k = map(int, params.split(","))
        if (n, k) not in TROMP_BUILDS:
            flux_alone(args, flux, n, k)
            continue
        for threads in args.threads:
            ours, theirs, warm_ours, warm_theirs = [], [], [], []
            loads, same = [load()], True
            for round_index in range(args.rounds):
                header = with_nonce(bytes(rng.getrandbits(8) for _ in range(140)), 0)
                runs = [("flux", run_flux, flux), ("tromp", run_tromp, tromp_dir)]
                if round_index % 2:
                    runs.reverse()
                found = {}
                for name, run, tool in runs:
                    times, solutions = run(tool, n, k, header, args.nonces + 1, threads)
                    found[name] = solutions
                    (warm_ours if name == "flux" else warm_theirs).append(times[0])
                    (ours if name == "flux" else theirs).extend(times[1:])
                if found["flux"] != found["tromp"]:
                    same = False
                    print(f"  round {round_index}: solution sets differ: flux only "
                          f"{len(found['flux'] - found['tromp'])}, tromp only "
                          f"{len(found['tromp'] - found['flux'])}")
                loads.append(load())
            ratio = statistics.median(ours) / statistics.median(theirs)
            print(f"{n},{k} on {threads} thread(s), load average {' -> '.join(loads)}:")
            print(f"  flux-pow: {summary(ours)}; warm-up nonce median "
                  f"{statistics.median(warm_ours):.3f} s")
            print(f"  tromp:    {summary(theirs)}; warm-up nonce median "
                  f"{statistics.median(warm_theirs):.3f} s")
            print(f"  ratio flux/tromp (medians): {ratio:.2f}; same solution sets: "
                  f"{'yes' if same else 'NO'}")


def vectors(args, tromp_dir):
    """Tromp's solution sets for the headers the solver tests use: the main and test genesis
    headers (200,9) and a fixed pattern header over a few nonces (200,9 and 144,5)."""
    with open(os.path.join(REPO, "..", "shared", "vectors", "genesis.json")) as f:
        genesis = json.load(f)["networks"]
    pattern = bytes((i * 7 + 3) % 256 for i in range(108)) + bytes(32)
    cases = [(200, 9, bytes.fromhex(genesis[net]["header_140_hex"])) for net in ("main", "test")]
    cases += [(200, 9, with_nonce(pattern, nonce)) for nonce in range(8)]
    cases += [(144, 5, with_nonce(pattern, nonce)) for nonce in range(4)]
    entries = []
    for n, k, header in cases:
        _, solutions = run_tromp(tromp_dir, n, k, header, 1, 1)
        entries.append({"n": n, "k": k, "header_140_hex": header.hex(),
                        "solutions": sorted(solutions)})
    document = {
        "source": "John Tromp's CPU solvers (tromp/equihash), built by "
                  "flux-pow/benches/vs_tromp.py --vectors; 200,9 eqasm1, 144,5 eq14451 with "
                  "the ZelProof personalization; solutions in the minimal encoding",
        "vectors": entries,
    }
    with open(args.vectors, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"wrote {len(entries)} solution sets to {args.vectors}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--params", nargs="+", default=["200,9"],
                        help="200,9 and/or 144,5 against Tromp (his 144,5 needs ~10 s a "
                             "nonce); 125,4 or 48,5 flux-pow alone")
    parser.add_argument("--threads", nargs="+", type=int,
                        default=[1, os.cpu_count() or 1])
    parser.add_argument("--nonces", type=int, default=5, help="timed nonces per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per side")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--build-tromp", action="store_true")
    parser.add_argument("--tromp-src", help="a checkout or git directory of tromp/equihash")
    parser.add_argument("--tromp-dir", default="/tmp/flux-pow-tromp-equihash",
                        help="where Tromp's solvers are (or are built, with --build-tromp)")
    parser.add_argument("--flux", help="a built `flux` binary (default: cargo build --release)")
    parser.add_argument("--vectors", help="write Tromp's solution sets for the tests here")
    args = parser.parse_args()
    for params in args.params:
        if tuple(map(int, params.split(","))) not in SOLVABLE:
            sys.exit(f"unknown parameter set {params} (one of "
                     f"{', '.join(f'{n},{k}' for n, k in SOLVABLE)})")
    if args.vectors and any(tuple(map(int, p.split(","))) not in TROMP_BUILDS
                            for p in args.params):
        sys.exit("--vectors needs Tromp's builds: 200,9 and 144,5 only")
    if args.build_tromp:
        if not args.tromp_src:
            sys.exit("--build-tromp needs --tromp-src")
        build_tromp(args.tromp_src, args.tromp_dir)
    if args.vectors:
        vectors(args, args.tromp_dir)
        return
    compare(args, flux_binary(args), args.tromp_dir)


if __name__ == "__main__":
    main()
