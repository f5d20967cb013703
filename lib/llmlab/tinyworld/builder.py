"""Build every family into data/ (JSONL + manifest.json), verify and check it, and the command line.

    python -m llmlab.tinyworld build [--out DIR]   # write data/<family>/<split>.jsonl + manifest.json
    python -m llmlab.tinyworld check               # regenerate and compare with data/ (exit 1 if stale)
    python -m llmlab.tinyworld verify              # compare data/ with its manifest.json
    python -m llmlab.tinyworld stats               # rows per split, distinct words
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from llmlab.tinyworld.registry import BUILD_HINT, FAMILIES, SEED, VERSION
from llmlab.tinyworld.world import World


def dump_rows(rows: Iterable[dict]) -> bytes:
    """The canonical JSONL bytes of a split: sorted keys, UTF-8, one object per line."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")


# ---- build, verify, check ----------------------------------------------------------------------
def default_data_dir() -> Path:
    from llmlab.config import data_dir
    return Path(data_dir())


def generate(families: Iterable[str] | None = None, seed: int = SEED) -> dict[str, bytes]:
    """All files of the requested families: ``{"dialogsum/train.jsonl": bytes, ...}`` (no manifest)."""
    names = sorted(FAMILIES) if families is None else list(families)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r}; known: {', '.join(sorted(FAMILIES))}")
    world = World(seed)
    files = {}
    for name in sorted(set(names)):
        for split, rows in world.family(name).items():
            files[f"{name}/{split}.jsonl"] = dump_rows(rows)
    return files


def manifest_bytes(files: dict[str, bytes], seed: int = SEED) -> bytes:
    entries = {path: {"rows": data.count(b"\n"), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()} for path, data in sorted(files.items())}
    return (json.dumps({"seed": seed, "version": VERSION, "files": entries}, indent=1, sort_keys=True)
            + "\n").encode("utf-8")


def _disk_files(data_dir: Path) -> dict[str, Path]:
    """The family files under data_dir (``<family>/<split>.jsonl``)."""
    return {f"{p.parent.name}/{p.name}": p for p in sorted(data_dir.glob("*/*.jsonl"))}


def build(out_dir: str | os.PathLike | None = None, families: Iterable[str] | None = None,
          seed: int = SEED, quiet: bool = True) -> dict:
    """Generate families and write them with ``manifest.json`` into ``out_dir`` (default: data/).

    Files are written to a temporary folder first and moved into place only once everything was
    generated, so a failure never leaves a half-written data/. Building a subset of families
    replaces only their folders; the manifest then lists every family folder present.
    """
    out = Path(out_dir) if out_dir is not None else default_data_dir()
    t0 = time.perf_counter()
    files = generate(families, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tinyworld-", dir=out.parent))
    try:
        new = tmp / "new"
        for rel, data in files.items():
            (new / rel).parent.mkdir(parents=True, exist_ok=True)
            (new / rel).write_bytes(data)
        out.mkdir(parents=True, exist_ok=True)
        old_manifest = {}
        if (out / "manifest.json").exists():
            try:
                old_manifest = json.loads((out / "manifest.json").read_text())
            except ValueError:
                old_manifest = {}
        built = sorted({rel.split("/")[0] for rel in files})
        stale = set()
        if families is None:  # a full build drops families that no longer exist
            stale = {rel.split("/")[0] for rel in old_manifest.get("files", {})} - set(built)
        for fam in built + sorted(stale):
            if (out / fam).exists():
                (out / fam).rename(tmp / f"old-{fam}")
            if fam in built:
                (new / fam).rename(out / fam)
        if old_manifest.get("seed", seed) != seed or old_manifest.get("version", VERSION) != VERSION:
            for fam in {rel.split("/")[0] for rel in old_manifest.get("files", {})} - set(built):
                if (out / fam).exists():
                    (out / fam).rename(tmp / f"old-{fam}")
        known = set(built) | {rel.split("/")[0] for rel in old_manifest.get("files", {})}
        present = {rel: p.read_bytes() for rel, p in _disk_files(out).items() if rel.split("/")[0] in known}
        present.update(files)
        (tmp / "manifest.json").write_bytes(manifest_bytes(present, seed))
        os.replace(tmp / "manifest.json", out / "manifest.json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = json.loads((out / "manifest.json").read_text())
    if not quiet:
        total = sum(len(d) for d in files.values())
        print(f"wrote {len(files)} files ({total / 1e6:.2f} MB) to {out} in {time.perf_counter() - t0:.1f} s")
    return manifest


def verify(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Problems of data_dir against its manifest (missing/extra files, wrong size or sha256)."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    mpath = d / "manifest.json"
    if not mpath.exists():
        return [f"{mpath} is missing; run `{BUILD_HINT}`"]
    manifest = json.loads(mpath.read_text())
    problems = []
    for rel, info in sorted(manifest["files"].items()):
        path = d / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != info["sha256"] or len(data) != info["bytes"]:
            problems.append(f"{rel}: sha256/size differs from manifest.json")
        elif data.count(b"\n") != info["rows"]:
            problems.append(f"{rel}: row count differs from manifest.json")
    for rel in _disk_files(d):
        if rel not in manifest["files"]:
            problems.append(f"{rel}: not listed in manifest.json")
    return problems


def check(data_dir: str | os.PathLike | None = None, seed: int = SEED) -> list[str]:
    """Regenerate every family and compare byte-for-byte with data_dir; [] when identical."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    files = generate(None, seed)
    files["manifest.json"] = manifest_bytes(files, seed)
    problems = []
    for rel, data in sorted(files.items()):
        path = d / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{rel}: differs from a fresh generation")
    for rel in _disk_files(d):
        if rel not in files:
            problems.append(f"{rel}: not produced by the generator")
    return problems


WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _strings(obj) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k in sorted(obj):
            if k not in ("id", "doc_id"):
                yield from _strings(obj[k])
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def stats(data_dir: str | os.PathLike | None = None) -> dict:
    """Rows, bytes and distinct words per file, and distinct words overall."""
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    out, vocab = {}, set()
    for rel, path in _disk_files(d).items():
        words = set()
        rows = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                rows += 1
                for s in _strings(json.loads(line)):
                    words.update(w.lower() for w in WORD.findall(s))
        vocab |= words
        out[rel] = {"rows": rows, "bytes": path.stat().st_size, "words": len(words)}
    return {"files": out, "distinct_words": len(vocab)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m llmlab.tinyworld",
                                 description="Build and check the TinyWorld data sets.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="generate data/ (or --out DIR)")
    b.add_argument("--out", default=None)
    b.add_argument("--families", default=None, help="comma-separated subset (default: all)")
    for name, help_ in (("check", "regenerate and compare with data/"), ("verify", "compare data/ with its manifest"),
                        ("stats", "rows per split and distinct words")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--data", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "build":
        fams = args.families.split(",") if args.families else None
        build(args.out, fams, quiet=False)
        return 0
    if args.cmd in ("check", "verify"):
        d = Path(args.data) if args.data else default_data_dir()
        problems = check(d) if args.cmd == "check" else verify(d)
        if problems:
            print(f"{d} is out of date with the TinyWorld generator ({len(problems)} problems):", file=sys.stderr)
            for p in problems[:20]:
                print("  " + p, file=sys.stderr)
            fix = BUILD_HINT if not args.data else f"{BUILD_HINT} --out {d}"
            print(f"Fix: run `{fix}` (and commit data/).", file=sys.stderr)
            return 1
        print(f"{d}: OK ({'identical to a fresh generation' if args.cmd == 'check' else 'matches manifest.json'})")
        return 0
    st = stats(args.data)
    for rel, info in st["files"].items():
        print(f"{rel:36s} {info['rows']:6d} rows {info['bytes'] / 1e3:9.1f} kB {info['words']:6d} words")
    total = sum(i["bytes"] for i in st["files"].values())
    print(f"total {total / 1e6:.2f} MB, distinct words overall: {st['distinct_words']}")
    return 0
