"""The fake FCM (push.fake_fcm) in a process of its own for bench/floodday.py: writes a
service-account file for the server beside the output file (its token_uri is the fake's),
prints its port, then every 0.2 s writes what it has received so far to the file named on
the command line (``[{"token", "notification_id", "kind", "seq", "at"}]``, ``at`` the wall
time it was first seen)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from push.fake_fcm import FakeFcm


def main() -> None:
    out = Path(sys.argv[1])
    fcm = FakeFcm(project_id="flood", access_token="flood-token").start()
    # The server's CHENGYUN_FCM_CREDENTIALS: its OAuth grant comes back here too.
    sa = out.with_name("fcm-service-account.json")
    sa.write_text(json.dumps(fcm.service_account()))
    print(fcm.port, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    seen: list[dict[str, object]] = []
    try:
        while True:
            time.sleep(0.2)
            got = fcm.requests
            now = time.time()
            for r in got[len(seen) :]:
                data = r.message.get("data") or {}
                seen.append(
                    {
                        "token": r.token,
                        "notification_id": data.get("notification_id"),
                        "kind": data.get("kind"),
                        "seq": data.get("seq"),
                        "at": now,
                    }
                )
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(seen))
            os.replace(tmp, out)
    finally:
        fcm.stop()


if __name__ == "__main__":
    main()
