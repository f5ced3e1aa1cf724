"""Runs Pigweed's own remote_sign.py RemoteSignClient against directory buckets.

The only change a Pigweed build needs to use airlock's `signer watch`: its GCS bucket client
replaced by one whose buckets are directories. Object metadata (the builder signature) goes to
OBJECT.metadata.json, written before the object, and every object appears whole (temporary name,
then rename), so a signing request is complete the moment its JSON appears.

remote_sign.py imports google.auth and google.cloud.storage at load time; they are not needed
here (no network, no credentials), so minimal stand-in modules are registered first.

usage: pigweed-remote-sign-local.py REMOTE_SIGN_PY QUEUE_DIR OUTPUT_BUCKET_DIR BUNDLE OUT
           SIGNING_KEY_NAME BUILDER_KEY BUILDER_PUBLIC_KEY TIMEOUT_S
"""
import importlib.util
import json
import os
from pathlib import Path
import sys
import types


class LocalBlob:
    """A GCS Blob whose bucket is a directory."""

    def __init__(self, bucket: 'LocalBucket', name: str):
        self.bucket = bucket
        self.name = name
        self.metadata = None

    @property
    def _path(self) -> Path:
        return self.bucket.directory / self.name

    def exists(self) -> bool:
        return self._path.is_file()

    def _write(self, data: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        if self.metadata is not None:
            self._write_whole(Path(f'{self._path}.metadata.json'),
                              json.dumps(self.metadata).encode('utf-8'))
        self._write_whole(self._path, data)

    @staticmethod
    def _write_whole(path: Path, data: bytes) -> None:
        temporary = path.parent / f'.{path.name}.{os.getpid()}.tmp'
        with open(temporary, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(temporary, path)

    def upload_from_filename(self, filename: str) -> None:
        self._write(Path(filename).read_bytes())

    def upload_from_string(self, data) -> None:
        self._write(data if isinstance(data, bytes) else data.encode('utf-8'))

    def download_as_bytes(self) -> bytes:
        return self._path.read_bytes()


class LocalBucket:
    """A GCS Bucket that is a directory; its name is the directory's name."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.name = directory.name

    def blob(self, name: str) -> LocalBlob:
        return LocalBlob(self, name)


def _register_google_stand_ins() -> None:
    class Credentials:  # pylint: disable=too-few-public-methods
        pass

    modules = {
        name: types.ModuleType(name)
        for name in (
            'google',
            'google.auth',
            'google.auth.credentials',
            'google.cloud',
            'google.cloud.storage',
            'google.cloud.storage.bucket',
        )
    }
    modules['google.auth.credentials'].Credentials = Credentials
    modules['google.cloud.storage'].Blob = LocalBlob
    modules['google.cloud.storage'].Client = None
    modules['google.cloud.storage.bucket'].Bucket = LocalBucket
    modules['google.cloud'].storage = modules['google.cloud.storage']
    sys.modules.update(modules)


def main() -> None:
    (remote_sign_py, queue_dir, output_bucket_dir, bundle, out, key_name,
     builder_key, builder_public_key, timeout_s) = sys.argv[1:]
    _register_google_stand_ins()
    spec = importlib.util.spec_from_file_location('remote_sign', remote_sign_py)
    remote_sign = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(remote_sign)

    client = remote_sign.RemoteSignClient(
        input_bucket=LocalBucket(Path(queue_dir)),
        output_bucket=LocalBucket(Path(output_bucket_dir)),
    )
    signed = client.sign(
        Path(bundle),
        key_name,
        Path(builder_key),
        Path(builder_public_key),
        timeout_s=int(timeout_s),
    )
    Path(out).write_bytes(signed.download_as_bytes())


if __name__ == '__main__':
    main()
