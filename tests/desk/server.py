"""The ASGI application the desk's browser tests run under uvicorn: the product's own, with a
dialer engine in process on a quick simulated phone system (everyone answers within a second)
and its commands taken from the channel layer, as `dialcrm demo` does with its defaults.

    uvicorn tests.desk.server:application  (DIALCRM_ENV=test, DATABASE_URL=<the test database>)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")

from dialcrm.asgi import make_application  # noqa: E402
from dialcrm.dialer.service import run_dialer  # noqa: E402
from dialcrm.telephony.simulated import SimulatedGateway  # noqa: E402
from tests.dialer.engine.conftest import quick_customers  # noqa: E402

SPEEDUP = float(os.environ.get("DESK_TEST_SPEEDUP", "5"))


def run_engine(stop: asyncio.Event) -> Awaitable[None]:
    return run_dialer(
        stop,
        speedup=SPEEDUP,
        gateway_for=lambda clock: SimulatedGateway(
            clock, quick_customers(human=1.0, busy=0.0), seed=7
        ),
        sync_every_s=0.5,
    )


application = make_application(run_engine)
