async def produce_messages():
    producer = Producer(
        "postgresql://localhost/mydb",
        "tasks",      # queue name
        "localhost",  # hostname
        3000,         # port
    )

    # Single message
    msg_id = await producer.enqueue({"task": "process", "data": 123})
    print(f"Sent message: {msg_id}")
