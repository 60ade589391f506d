"""A phone's sync engine in a process of its own, for kill -9 tests:

    python -m tests.mobile.sync_worker DATA_DIR

Prints "interrupted N" (rows a killed predecessor left "sending"), one line per accepted item
("done N"), then "drained" when nothing is left to send.
"""

from __future__ import annotations

import sys

from mobile.services import Phone


def main(data_dir: str) -> int:
    phone = Phone(data_dir, backoff_base=0.01)
    # Rows a killed predecessor left mid-call; the engine sends them again.
    print(f"interrupted {len(phone.outbox.rows('sending'))}", flush=True)
    phone.add_sync_listener(lambda p: print(f"done {p.done}", flush=True) if p.phase == "push" else None)
    for _ in range(50):
        status = phone.sync_now()
        if status["state"] != "idle":
            print(f"state {status['state']}: {status['last_error']}", flush=True)
        if status["pending"] == 0:
            print("drained", flush=True)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
