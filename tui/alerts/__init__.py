"""Events and alerts without Textual: flag edges and threshold crossings, the rules that turn them into
alerts, and the sinks that deliver them (bell, OSC, desktop, command, webhook, log)."""
