"""The command line every example shares: --out (folder for its PNG and CSV) and --scheduler (a dask.distributed
scheduler address, e.g. tcp://host:8786, to run the sweeps or placement batches on a cluster instead of here)."""
import argparse
from pathlib import Path


def parser(doc: str, cluster: bool = True) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--out", default=".", help="folder for the PNG and CSV")
    if cluster:
        ap.add_argument("--scheduler", default=None, help="address of a dask.distributed scheduler to run on")
    return ap


def out_dir(args) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def client(args):
    """A Client on --scheduler, or None (run locally)."""
    if not getattr(args, "scheduler", None):
        return None
    from dask.distributed import Client
    return Client(args.scheduler)
