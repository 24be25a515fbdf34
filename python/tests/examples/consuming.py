async def consume_messages():
    consumer = Consumer(
        "postgresql://localhost/mydb",
        "tasks",
        "localhost",
        3001,
    )

    # Dequeue and process
    messages = await consumer.dequeue()
    for message in messages:
        print(f"Processing: {message.payload}")
        await consumer.archive(message.id)
