"""The discrete-event engine (simpy, one clock) and the event log every service writes."""
