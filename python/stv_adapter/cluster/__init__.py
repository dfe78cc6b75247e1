"""The adapter as the front door of a Ray cluster (`serve --cluster ray`): jobs queue here as in the
single-process adapter and go, one at a time each, to worker actors that hold a loaded backend.

Only this package imports ray, and only when the cluster mode is chosen: the single-process
adapter (the default) runs without the `cluster` extra installed."""
