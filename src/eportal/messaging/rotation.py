"""Re-encrypting every sealed value under the current key (`eportal rotate-keys`), in batches.

Each value is swapped only if it is still what was read (a compare-and-set UPDATE), so the command can run
while the portal does; a value no key opens is counted and reported, the rest go on.
"""

import dataclasses
import logging

from django.db import transaction
from django.db.models import Count, Value
from django.db.models.functions import StrIndex, Substr

from .crypto import Undecryptable, current_key_id, reseal
from .models import Attachment, Message, Thread

logger = logging.getLogger(__name__)

# (model, sealed field, rows per batch): attachments are large, so fewer at a time.
SEALED_FIELDS = [
    (Thread, "subject_sealed", 500),
    (Message, "body_sealed", 500),
    (Attachment, "name_sealed", 500),
    (Attachment, "data_sealed", 20),
]


@dataclasses.dataclass
class RotationResult:
    rewritten: int = 0
    failed: list[str] = dataclasses.field(default_factory=list)  # "message 12 body_sealed": no key opens it


def rotate_keys(*, batch_scale: float = 1.0, progress=None) -> RotationResult:
    """Re-encrypt every value not under the current key. `progress(label, count)` is told after each batch."""
    result = RotationResult()
    prefix = f"{current_key_id()}:"
    for model, field, batch in SEALED_FIELDS:
        size = max(1, int(batch * batch_scale))
        after = 0
        while True:
            rows = list(
                model.objects.filter(pk__gt=after)
                .exclude(**{f"{field}__startswith": prefix})
                .order_by("pk")
                .values_list("pk", field)[:size]
            )
            if not rows:
                break
            with transaction.atomic():
                for pk, sealed in rows:
                    what = f"{model._meta.model_name} {pk} {field}"
                    try:
                        fresh = reseal(sealed, what=what)
                    except Undecryptable:
                        result.failed.append(what)
                        continue
                    result.rewritten += model.objects.filter(pk=pk, **{field: sealed}).update(**{field: fresh})
            after = rows[-1][0]
            if progress:
                progress(f"{model._meta.model_name}.{field}", len(rows))
    if result.failed:
        logger.error("rotate-keys: %d values could not be decrypted with any configured key", len(result.failed))
    return result


def counts_by_key() -> dict[str, int]:
    """How many sealed values each key id holds, for the command's report: counted by the database, which
    sends back only the key ids (never the values, some of which are megabytes of attachment)."""
    counts: dict[str, int] = {}
    for model, field, _batch in SEALED_FIELDS:
        key_id = Substr(field, 1, StrIndex(field, Value(":")) - 1)
        for row in model.objects.annotate(key_id=key_id).values("key_id").annotate(count=Count("pk")).order_by():
            counts[row["key_id"]] = counts.get(row["key_id"], 0) + row["count"]
    return counts
