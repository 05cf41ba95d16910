"""`gs://bucket/prefix` URLs (pure Python: the serving image's model store uses it too)."""


def split_gs_url(url: str) -> tuple[str, str]:
    """`gs://bucket/some/prefix` -> (`bucket`, `some/prefix`); raise naming the URL if it is not gs://."""
    if not url.startswith("gs://") or len(url.rstrip("/")) <= len("gs://"):
        raise ValueError(f"{url!r} is not a gs://bucket[/prefix] URL")
    bucket, _, prefix = url[len("gs://"):].partition("/")
    return bucket, prefix.strip("/")
