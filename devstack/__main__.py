"""python -m devstack {up,down,status,env,run,stop} [--profile dev|test] [--fresh]"""

import argparse

from devstack import config, stack, supervisor


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack", description="The local UrbanHarvest stack.")
    parser.add_argument("action", choices=["up", "down", "status", "env", "run", "stop"])
    parser.add_argument("--profile", choices=sorted(config.DEFAULT_PORT_BASES), default=None)
    parser.add_argument("--fresh", action="store_true", help="with up: wipe the profile's data first")
    args = parser.parse_args()
    p = config.profile(args.profile)
    if args.action == "up":
        stack.up(p, fresh=args.fresh)
    elif args.action == "down":
        stack.down(p)
    elif args.action == "status":
        print(stack.status_report(p))
    elif args.action == "env":
        for key, value in config.connection_defaults(p).items():
            print(f"export {key}={value}")
    elif args.action == "run":
        supervisor.run(p)
    elif args.action == "stop":
        supervisor.stop(p)


if __name__ == "__main__":
    main()
