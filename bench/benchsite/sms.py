"""An SMS backend for the benchmark: the code of each SMS is written to EPORTAL_BENCH_SMS_DIR/<mobile>,
where the load generator (a separate process) reads it. Costs one small file write."""

import os
import re
from pathlib import Path

from django.conf import settings

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class FileSmsBackend:
    def send(self, *, to: str, text: str, reference: str = "") -> str:
        match = CODE.search(text)
        if match is None:
            raise ValueError("no six-digit code in the SMS text")
        directory = Path(settings.EPORTAL_BENCH_SMS_DIR)
        name = to.lstrip("+")
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(match.group(1))
        tmp.replace(directory / name)
        return f"bench-{name}"
