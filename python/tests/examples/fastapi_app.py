from fastapi import FastAPI
from pgqrs import Producer

app = FastAPI()
producer = Producer("postgresql://localhost/mydb", "tasks", "api", 8000)

@app.post("/tasks")
async def create_task(payload: dict):
    msg_id = await producer.enqueue(payload)
    return {"message_id": msg_id}
