"""Background jobs a user started (for example a ratings recompute): status, progress and result."""
from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job

from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.jobs import JobOut
from extensions import get_redis
from services.errors import NotFound


@api_route("/jobs/<job_id>", summary="A background job's status and progress", tag="Staff",
           response=JobOut, errors=(404,))
def job_status(job_id: str):
    """Staff, or the user who started the job."""
    user = current_api_user()
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except (NoSuchJobError, ValueError) as exc:  # rq refuses ids it could never have made with ValueError
        raise NotFound() from exc
    if not (user.is_admin or job.meta.get("started_by") == user.id):
        raise NotFound()
    result = job.return_value() if job.get_status() == "finished" else None
    current_app.logger.debug("job %s: %s", job_id, job.get_status())
    return JobOut(status=job.get_status(), progress=job.meta.get("progress"), result=result)
