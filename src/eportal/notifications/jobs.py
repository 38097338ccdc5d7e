"""The job table keeps no trace of whom a job was for: once a job has finished, its arguments (ids of people,
threads, queued messages) and its return value are emptied. Jobs are queued with references only, and anything
secret (a link, a code) is made by the worker while it runs."""

from django_tasks_db.models import DBTaskResult


def forget_arguments(sender, task_result, **kwargs) -> None:
    """On django-tasks' task_finished, successful or failed."""
    DBTaskResult.objects.filter(id=task_result.id).update(args_kwargs={"args": [], "kwargs": {}}, return_value=None)
