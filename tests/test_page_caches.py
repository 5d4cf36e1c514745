"""What pages keep in memory to render faster (heat/caching.py: rendered macros, links, trend
facts) is never stale and never another user's: a change shows at once, each user sees their own
header and links, links follow the mount point, and an erasure leaves nothing in memory."""

from __future__ import annotations

import datetime as dt

from heat import caching
from heat.extensions import db
from heat.models import Child, User
from heat.services import child_record, data_map

TODAY = dt.date.today()


def _page(client, child_id: int, **options) -> str:
    response = client.get(f"/children/{child_id}", **options)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _add_entry(app, child_id: int, user_id: int, summary: str) -> None:
    with app.app_context():
        child, user = db.session.get_one(Child, child_id), db.session.get_one(User, user_id)
        child_record.add_entry(child, user, TODAY, "out_of_area", "Invented agency", summary)
        db.session.commit()


def test_a_change_shows_at_once_on_a_child_page_whose_parts_were_kept(app, team_world):
    child, worker, client = team_world["child"], team_world["worker"], team_world["w"]
    _add_entry(app, child.id, worker.id, "Health visitor saw the baby.")
    before = _page(client, child.id)
    assert "Health visitor saw the baby." in before and "Not allocated" in before
    _page(client, child.id)  # the second view is served from what the first kept

    _add_entry(app, child.id, worker.id, "School nurse rang about the move.")
    with app.app_context():
        db.session.get_one(Child, child.id).allocated_worker_id = worker.id
        db.session.get_one(User, worker.id).name = "Renamed Worker"
        db.session.commit()
    after = _page(client, child.id)

    assert "School nurse rang about the move." in after and "Health visitor saw the baby." in after
    assert "Not allocated" not in after
    assert "Renamed Worker" in after  # in the details list and the header, both kept before


def test_each_user_sees_their_own_header_and_links_on_the_same_child_page(team_world):
    child = team_world["child"]
    supervisor = _page(team_world["s"], child.id)
    worker = _page(team_world["w"], child.id)
    again = _page(team_world["s"], child.id)

    assert again == supervisor.replace(_nonce(supervisor), _nonce(again)).replace(_token(supervisor), _token(again))
    assert "(Supervisor)" in supervisor and 'href="/reviews"' in supervisor
    assert "(Supervisor)" not in worker and 'href="/reviews"' not in worker
    assert "Transfer to another team" in supervisor and "Transfer to another team" not in worker


def _nonce(html: str) -> str:
    return html.split('nonce="', 1)[1].split('"', 1)[0]


def _token(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_links_kept_for_one_mount_point_are_not_used_under_another(team_world):
    child, client = team_world["child"], team_world["w"]
    at_root = _page(client, child.id)
    mounted = _page(client, child.id, base_url="http://localhost/heat/")

    assert f'href="/children/{child.id}/people"' in at_root
    assert f'href="/heat/children/{child.id}/people"' in mounted
    assert f'href="/children/{child.id}/people"' not in mounted
    assert 'href="/heat/caseload"' in mounted


def test_an_erased_child_is_in_no_page_part_kept_in_memory(app, team_world):
    child, worker = team_world["child"], team_world["worker"]
    words = "Grandmother Zelphine visits on Sundays."
    _add_entry(app, child.id, worker.id, words)
    assert words in _page(team_world["w"], child.id)
    assert any(words in str(value) for cache in caching._EVERY for value in cache._items.values())

    with app.app_context():
        data_map.erase(db.session.get_one(Child, child.id))
        db.session.commit()

    assert not any(words in str(value) for cache in caching._EVERY for value in cache._items.values())
