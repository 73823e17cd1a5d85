"""E-mail backends of the application."""

from __future__ import annotations

from django.core.mail.backends.filebased import EmailBackend as _FileEmailBackend

from .private_files import open_private, private_dir


class PrivateFileEmailBackend(_FileEmailBackend):
    """Django's file e-mail backend (the demo's mail folder), with a private folder and files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        private_dir(self.file_path)

    def open(self):
        if self.stream is None:
            self.stream = open_private(self._get_filename(), "ab")
            return True
        return False
