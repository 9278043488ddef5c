"""Check that a built wheel carries every file of ``src/assay/datasets/data`` and the LICENSE.

Build the wheel first, then run:

    python -m pip wheel . -w /tmp/w --no-deps
    python scripts/check_wheel_data.py /tmp/w/assay-*.whl

Prints the data files' count and sizes (on disk and compressed in the wheel) and exits 1 naming
each file missing from the wheel.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "assay" / "datasets" / "data"


def missing_from_wheel(wheel: str | Path) -> tuple[list[str], dict[str, int]]:
    """Data files under ``src/assay/datasets/data`` absent from ``wheel``, and the wheel's sizes."""
    with zipfile.ZipFile(wheel) as z:
        infos = {i.filename: i for i in z.infolist()}
    want = sorted(
        "assay/datasets/data/" + p.relative_to(DATA).as_posix()
        for p in DATA.rglob("*")
        if p.is_file()
    )
    missing = [w for w in want if w not in infos]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in infos):
        missing.append("*.dist-info/licenses/LICENSE")
    present = [infos[w] for w in want if w in infos]
    sizes = {
        "files": len(present),
        "bytes": sum(i.file_size for i in present),
        "compressed": sum(i.compress_size for i in present),
        "wheel": Path(wheel).stat().st_size,
    }
    return missing, sizes


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    missing, sizes = missing_from_wheel(argv[0])
    print(
        f"{sizes['files']} data files, {sizes['bytes'] / 1e6:.2f} MB "
        f"({sizes['compressed'] / 1e6:.2f} MB compressed); wheel {sizes['wheel'] / 1e6:.2f} MB"
    )
    for m in missing:
        print(f"missing from the wheel: {m}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
