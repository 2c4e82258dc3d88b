from django_tasks import task

from ektp.dedup.services import dedup_application


@task()
def dedup_application_task(application_id: int) -> str:
    """Background penunggalan of one application; safe to run twice."""
    return dedup_application(application_id=application_id)
