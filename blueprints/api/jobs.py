"""Background jobs a user started (for example a ratings recompute): status, progress and result."""
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.jobs import JobOut
from services import tasks
from services.errors import NotFound


@api_route("/jobs/<job_id>", summary="A background job's status and progress", tag="Staff",
           response=JobOut, errors=(404,))
def job_status(job_id: str):
    """Staff, or the user who started the job."""
    user = current_api_user()
    job = tasks.status(job_id)
    if job is None or not (user.is_admin or job.started_by == user.id):
        raise NotFound()
    return JobOut(status=job.status, progress=job.progress, result=job.result)
