"""Pure domain rules: INN, regions, statuses, durations."""
