from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Fingerprinted, compressed static files; a file missing from the manifest
    (a test run that skipped collectstatic) falls back to its plain name."""

    manifest_strict = False
