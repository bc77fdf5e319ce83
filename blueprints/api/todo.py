"""The caller's home page as data: what needs doing now, each with where it is done."""
from datetime import datetime

from pydantic import BaseModel, RootModel

from blueprints.api.routing import api_route, current_api_user
from blueprints.todo_links import todo_url
from services import todo


class TodoOut(BaseModel):
    kind: str
    title: str
    url: str
    due_at: datetime | None = None
    count: int | None = None


class TodoList(RootModel[list[TodoOut]]):
    pass


@api_route("/me/todo", summary="What needs you now (the home page's items)", tag="Accounts", response=TodoList)
def my_todo():
    return TodoList([TodoOut(kind=i.kind, title=i.title, url=todo_url(i, _external=True), due_at=i.due_at,
                             count=i.count) for i in todo.for_user(current_api_user())])
