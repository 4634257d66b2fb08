from airflow_provider_twilio.emulator.cli import main

raise SystemExit(main())
