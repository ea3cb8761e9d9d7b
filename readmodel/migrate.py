"""``python -m readmodel.migrate``: bring the read model at DATABASE_URL to the newest migration."""

from __future__ import annotations

import sys

from readmodel.database import connect_engine
from readmodel.schema import SchemaNotCurrentError, current_revision, head_revision, upgrade
from runtime.settings import get_settings


def main() -> int:
    url = get_settings().database_url
    engine = connect_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
    except SchemaNotCurrentError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    print(f"read model at {where}: {before or 'empty'} -> {head_revision()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
