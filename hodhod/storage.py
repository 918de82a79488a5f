from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Fingerprinted, compressed static files; a file missing from the manifest
    (a test run that skipped collectstatic) falls back to its plain name."""

    manifest_strict = False

    def stored_name(self, name: str) -> str:
        # Django's non-strict fallback still hashes the file from STATIC_ROOT and raises
        # when collectstatic never ran; answer the plain name instead (served by finders).
        try:
            return super().stored_name(name)
        except ValueError:
            return name
