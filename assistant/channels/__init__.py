"""Ways customers reach the assistant: the terminal (text or voice), devices via the gateway."""
