"""The evaluation suite: gold questions in, metrics, failures and reports out (`assistant eval seeds`)."""
