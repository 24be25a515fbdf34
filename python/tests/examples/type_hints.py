from pgqrs import Producer, QueueMessage

async def process(consumer) -> None:
    messages: list[QueueMessage] = await consumer.dequeue()
    for msg in messages:
        id: int = msg.id
        payload: dict = msg.payload
        await consumer.archive(id)
