"""Copy the CRUXEval scored samples from ../shared/data/cruxeval/ as gzip (contents unchanged).

Run from the project root: ``python tests/data/cruxeval/make_cruxeval.py``.
"""

import gzip
import shutil
from pathlib import Path

SRC = Path("../shared/data/cruxeval")
DST = Path("tests/data/cruxeval")

for mode in ("input", "output"):
    name = f"sample_scored_codellama-7b_temp0.2_{mode}.json"
    with open(SRC / name, "rb") as fin, gzip.GzipFile(DST / f"{name}.gz", "wb", mtime=0) as fout:
        shutil.copyfileobj(fin, fout)
