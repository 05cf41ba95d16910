"""imdb_assets: IMDb's public datasets as a Dagster asset graph, from raw snapshots to a served model."""

import os

# numpy advises the kernel to back every large array with transparent huge pages. Where THP defrag is
# "madvise" (this project's machines), each first touch of such an array then waits for the kernel to
# compact memory: at IMDb's full size that made training ~0.5 s slower (benchmarks/README.md). Set before
# anything imports numpy; an explicit NUMPY_MADVISE_HUGEPAGE in the environment wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
