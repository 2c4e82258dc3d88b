from django_tasks import task

from ektp.reports.services import rollup_refresh


@task()
def rollup_refresh_task(region_code: str = "") -> int:
    """Background refresh of the report rollups of a region; safe to run twice. Returns the
    number of villages rolled up."""
    return rollup_refresh(region_code=region_code).villages
