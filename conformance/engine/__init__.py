"""The run engine: plan → test cases → execute → verdicts, emitted as events to listeners (console, journal,
reports). It imports no particular standard or transport: standards plug in as data and registered checks."""
