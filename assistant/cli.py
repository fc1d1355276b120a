"""The dialogue commands of run_assistant.py: train, parse, chat, validate, new-skill, …"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from assistant import chat as chat_mode
from assistant import conversations, erasures, new_skill
from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.training import train
from assistant.validate_project import validate


def add_parsers(commands: argparse._SubParsersAction) -> None:
    trainer = commands.add_parser("train", help="train the Rasa model (skips when unchanged)")
    trainer.add_argument("--force", action="store_true", help="train even if nothing changed")

    parser = commands.add_parser("parse", help="intent and entities of a text, as JSON")
    parser.add_argument("text", nargs="?")
    parser.add_argument("--jsonl", type=Path, help='a file of {"text": ...} lines')

    chat = commands.add_parser("chat", help="a text conversation: one customer turn per line")
    chat.add_argument("--customer", required=True, help="handle, loyalty number or id")
    chat.add_argument("--store", help="store id (a kiosk's store); default: the customer's")
    chat.add_argument(
        "--wav", nargs="+", type=Path, metavar="FILE", help="a spoken conversation: one WAV a turn"
    )
    chat.add_argument(
        "--reply-audio", action="store_true", help="with --wav: write A.reply.wav beside A.wav"
    )
    chat.add_argument(
        "--engine", choices=("whisper", "pocketsphinx", "vosk"), help="with --wav: the recogniser"
    )
    chat.add_argument(
        "--real-time",
        action="store_true",
        help="with --wav: feed each file at the pace a microphone would (what the latency means)",
    )

    commands.add_parser("validate", help="check domain, skills, nlu_data and tests agree")
    scaffold = commands.add_parser("new-skill", help="write a new skill's files from templates")
    scaffold.add_argument("name", help="the skill (module) name, e.g. deals")
    scaffold.add_argument(
        "--intent", nargs="+", action="extend", metavar="NAME", help="intents (default: NAME)"
    )
    one_skill = commands.add_parser("test-skill", help="one skill's tests (Rasa's env), validate")
    one_skill.add_argument("name", help="the skill (module) name")

    talks = commands.add_parser(
        "conversations", help="customers' conversations in the tracker store: export, erase, purge"
    )
    action = talks.add_subparsers(dest="action", required=True)
    for name, text in (
        ("export", "a customer's conversations as JSON"),
        ("erase", "delete a customer's conversations (after DELETE /v1/me)"),
    ):
        one = action.add_parser(name, help=text)
        one.add_argument("subject", help="the customer's subject (GET /v1/me, DELETE /v1/me)")
    purge = action.add_parser("purge", help="delete what is older than the retention period")
    purge.add_argument("--days", type=int, help="keep this many days (default: keep_days)")
    action.add_parser(
        "erase-requested",
        help="erase the conversations (and sessions) of customers erased through DELETE /v1/me "
        "(what each gateway does by itself: for where none runs)",
    )

    serve = commands.add_parser("serve", help="the voice gateway for devices, and the kiosk page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--idle-timeout", type=float, default=120.0, help="kiosk: seconds")
    serve.add_argument(
        "--tls-cert", type=Path, help="serve https/wss with this certificate (PEM); browsers "
        "give a kiosk page its microphone only over https or on localhost"
    )  # fmt: skip
    serve.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    serve.add_argument(
        "--gateway-only",
        action="store_true",
        help="the gateway alone, in front of services that run elsewhere (RASA_URL, "
        "ACTION_SERVER_URL, COMMERCE_HOST/COMMERCE_PORT and their secrets from the environment: "
        "what deploy runs)",
    )

    deploy = commands.add_parser(
        "deploy", help="replicas behind HAProxy: gateways, Rasa, commerce (PostgreSQL, Redis)"
    )
    deploy.add_argument("--gateways", type=int, default=2)
    deploy.add_argument("--rasa", type=int, default=2)
    deploy.add_argument("--commerce", type=int, default=2)
    deploy.add_argument("--host", default="127.0.0.1", help="where devices reach the balancer")
    deploy.add_argument("--port", type=int, default=8765, help="the devices' port")
    deploy.add_argument(
        "--database-url", help="the commerce database, PostgreSQL (default: DATABASE_URL)"
    )
    deploy.add_argument(
        "--tracker-url", help="Rasa's tracker store, PostgreSQL (default: DB_tracker beside it)"
    )
    deploy.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0", help="lock store, gateway sessions"
    )
    deploy.add_argument("--work", type=Path, default=Path("var/deploy"), help="config and logs")
    deploy.add_argument(
        "--max-sessions",
        type=int,
        help="devices each gateway holds at once (default: gateway.max_sessions, 32)",
    )

    device = commands.add_parser("device", help="the reference device client of the gateway")
    device.add_argument("--url", default="ws://127.0.0.1:8765/v1/stream")
    device.add_argument(
        "--ca", type=Path, help="wss: trust this certificate (a gateway's self-signed one)"
    )
    device.add_argument("--token", required=True, help="a device token (catalog device add)")
    device.add_argument("--wav", nargs="+", type=Path, metavar="FILE", help="one turn per file")
    device.add_argument("--text", nargs="+", metavar="LINE", help="typed turns")
    device.add_argument("--reply-audio", action="store_true", help="save A.reply.wav")
    device.add_argument("--fast", action="store_true", help="--wav faster than real time")
    device.add_argument(
        "--mute", action="store_true", help="microphone: start muted ('m' + Enter toggles)"
    )
    device.add_argument(
        "--no-earcons", action="store_true", help="microphone: no chime when it starts or stops"
    )
    device.add_argument(
        "--no-stop-word",
        action="store_true",
        help="microphone: do not listen for a bare 'stop' while a reply plays (no echo cancelling)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "train":
        result = train(settings, force=args.force)
        print(
            json.dumps(
                {
                    "model": str(result.model),
                    "trained": result.trained,
                    "seconds": round(result.seconds, 1),
                }
            )
        )
        return 0
    if args.command == "parse":
        if args.jsonl:
            texts = [
                json.loads(line)["text"]
                for line in args.jsonl.read_text().splitlines()
                if line.strip()
            ]
        elif args.text:
            texts = [args.text]
        else:
            raise ConfigError("usage", "give TEXT or --jsonl FILE")
        train(settings)
        chat_mode.parse(settings, texts, sys.stdout)
        return 0
    if args.command == "chat":
        train(settings)
        if args.wav:
            from assistant import voice

            voice.chat_wav(
                settings,
                args.customer,
                args.store,
                args.wav,
                sys.stdout,
                reply_audio=args.reply_audio,
                engine=args.engine,
                real_time=args.real_time,
            )
            return 0
        chat_mode.chat(settings, args.customer, args.store, sys.stdin, sys.stdout)
        return 0
    if args.command == "conversations":
        return conversations_command(args, settings)
    if args.command == "serve":
        from assistant.channels.gateway import server as gateway

        tls = gateway.Tls.from_args(args.tls_cert, args.tls_key)
        if args.gateway_only:
            d = settings.dialogue
            if not (d.auth_token and d.action_token):
                raise ConfigError(
                    "gateway-secrets-missing",
                    "serve --gateway-only needs RASA_AUTH_TOKEN and ACTION_SERVER_TOKEN "
                    "(the secrets of the Rasa and action servers it uses)",
                )
            gateway.serve_gateway(settings, args.host, args.port, args.idle_timeout, tls)
            return 0
        gateway.serve(settings, args.host, args.port, args.idle_timeout, tls)
        return 0
    if args.command == "deploy":
        return deploy_command(args, settings)
    if args.command == "device":
        from assistant.channels import device as client

        connection = client.DeviceClient(args.url, args.token, ca=args.ca)
        try:
            if args.wav:
                client.run_files(
                    connection, args.wav, sys.stdout, args.reply_audio, real_time=not args.fast
                )
            elif args.text:
                client.run_texts(connection, args.text, sys.stdout)
            else:
                from assistant import speech as factory
                from audio.devices import MicrophoneSource, SoundDeviceSink
                from audio.earcon import Chimes
                from audio.stopword import StopWordSpotter

                speech = settings.speech
                gate = factory.build_wake_gate(settings, preroll_s=client.WAKE_LEAD_S)
                sink = SoundDeviceSink(speech.output_device)
                spotter = None if args.no_stop_word else StopWordSpotter()
                client.run_microphone(
                    connection,
                    gate,
                    MicrophoneSource(speech.input_device),
                    client.ReplyPlayer(sink, spotter),
                    muted=args.mute,
                    keys=sys.stdin,
                    chimes=Chimes(sink, enabled=speech.earcons and not args.no_earcons),
                )
        finally:
            connection.close()
        return 0
    if args.command == "validate":
        report = validate(settings.root, new_skill.rasa_python(settings))
        print("\n".join(new_skill.report_lines(report)))
        return 0 if report.ok else 1
    if args.command == "new-skill":
        written = new_skill.scaffold(settings.root, args.name, args.intent)
        print(new_skill.next_steps(settings.root, args.name, written))
        return 0
    if args.command == "test-skill":
        return new_skill.test_skill(settings, args.name, sys.stdout)
    return 1


def deploy_command(args: argparse.Namespace, settings: Settings) -> int:
    """``deploy``: the scaled stack on this machine until Ctrl-C (assistant/deploy.py)."""
    from sqlalchemy import make_url

    from assistant import deploy

    url = args.database_url or settings.resolve_database_url()
    deploy.require_postgresql(url, "the commerce database (--database-url or DATABASE_URL)")
    tracker = args.tracker_url or make_url(url).set(
        database=f"{make_url(url).database}_tracker"
    ).render_as_string(hide_password=False)
    train(settings)
    if args.max_sessions:
        settings = replace(
            settings, gateway=replace(settings.gateway, max_sessions=args.max_sessions)
        )
    deployment = deploy.Deployment(
        settings,
        deploy.Shape(args.gateways, args.rasa, args.commerce),
        database_url=url,
        tracker_url=tracker,
        redis_url=args.redis_url,
        work=settings.path(str(args.work)),
        fronts=deploy.Fronts(gateway=args.port, host=args.host),
    )
    deploy.serve_deployment(deployment)
    return 0


def conversations_command(args: argparse.Namespace, settings: Settings) -> int:
    """``conversations export|erase SUBJECT`` and ``conversations purge [--days N]`` on the
    tracker store endpoints.yml names (Rasa need not run)."""
    if args.action == "erase-requested":
        print(json.dumps(erasures.erase_requested(settings)))
        return 0
    endpoints = settings.path(settings.dialogue.endpoints)
    store = conversations.tracker_store_of(endpoints)
    engine = conversations.open_store(endpoints, settings.root)
    try:
        if args.action == "export":
            found = conversations.export(engine, args.subject)
            print(json.dumps({"subject": args.subject, "conversations": found}, indent=1))
        elif args.action == "erase":
            print(
                json.dumps(
                    {
                        "subject": args.subject,
                        "events_deleted": conversations.erase(engine, args.subject),
                    }
                )
            )
        else:
            days = args.days or int(store.get("keep_days", conversations.KEEP_DAYS))
            print(
                json.dumps({"keep_days": days, "events_deleted": conversations.purge(engine, days)})
            )
    except ValueError as err:
        raise ConfigError("usage", str(err)) from err
    finally:
        engine.dispose()
    return 0
