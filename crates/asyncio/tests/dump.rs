//! `asyncio::dump_tasks()`: the tree of nested gathers, a task awaiting a task awaiting a
//! queue, the primitives of asyncio-sync (which describe themselves through their wait
//! hook), a task group's children, and creation sites that are the user's lines.

use std::rc::Rc;
use std::time::Duration;

use asyncio::{
    Event, Lock, Queue, TaskDump, WaitingOn, create_task_named, dump_tasks, gather, sleep,
    task_group,
};

/// The dump's tree without the running main task and the suffixes (state, site): one
/// line per task, its name indented by depth.
fn tree(dump: &TaskDump) -> Vec<String> {
    dump.to_string()
        .lines()
        .skip(1)
        .filter(|line| !line.contains("[running]"))
        .map(|line| line.split(" [").next().unwrap().to_owned())
        .collect()
}

/// Lets the tasks made so far start and suspend.
async fn settle() {
    for _ in 0..3 {
        sleep(Duration::ZERO).await;
    }
}

#[test]
fn nested_gathers_show_as_a_tree() {
    let (dump, lines) = asyncio::run(async {
        let forever = || std::future::pending::<()>();
        let inner_line = line!() + 1;
        let inner = create_task_named("inner", async move { gather([forever(), forever()]).await });
        let outer = create_task_named("outer", async move {
            let sibling = create_task_named("sibling", std::future::pending::<()>());
            gather([
                Box::pin(async move { inner.await.map(drop) })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
                Box::pin(async move { sibling.await.map(drop) }),
            ])
            .await
        });
        settle().await;
        let dump = dump_tasks();
        outer.cancel();
        settle().await;
        (dump, inner_line)
    })
    .unwrap();
    let text = dump.to_string();
    // outer waits on a gather of two wrapper tasks, each awaiting a named task; `inner`
    // waits on a gather of two tasks.
    let tree = tree(&dump);
    assert_eq!(tree.len(), 7, "{text}");
    assert_eq!(tree[0], "outer", "{text}");
    assert!(tree[1].starts_with("  Task-"), "{text}");
    assert_eq!(tree[2], "    inner", "{text}");
    assert!(
        tree[3].starts_with("      Task-") && tree[4].starts_with("      Task-"),
        "{text}"
    );
    assert!(tree[5].starts_with("  Task-"), "{text}");
    assert_eq!(tree[6], "    sibling", "{text}");
    assert!(
        text.contains("outer [waiting] on gather() (2 of 2 tasks pending)"),
        "{text}"
    );
    assert!(
        text.contains("inner [waiting] on gather() (2 of 2 tasks pending)"),
        "{text}"
    );
    // A gather's children were created at the user's `gather` line, not inside asyncio.
    let inner = dump.find("inner").unwrap();
    let WaitingOn::Target { tasks, .. } = &inner.waiting_on else {
        panic!("{:?}", inner.waiting_on);
    };
    for child in tasks {
        let at = dump.get(*child).unwrap().created_at.unwrap();
        assert_eq!((at.file(), at.line()), (file!(), lines), "{text}");
    }
}

#[test]
fn a_task_awaiting_a_task_awaiting_a_queue() {
    let dump = asyncio::run(async {
        let queue = Rc::new(Queue::<u32>::new(0));
        let q = Rc::clone(&queue);
        let consumer = create_task_named("consumer", async move { q.get().await });
        let boss = create_task_named("boss", consumer);
        settle().await;
        let dump = dump_tasks();
        queue.put_nowait(7).unwrap();
        assert_eq!(boss.await.unwrap().unwrap().unwrap(), 7);
        dump
    })
    .unwrap();
    let text = dump.to_string();
    assert_eq!(tree(&dump), ["boss", "  consumer"], "{text}");
    assert!(text.contains("boss [waiting] on task consumer"), "{text}");
    // The run's main task was made by the `asyncio::run` above.
    let main = text.lines().find(|l| l.contains("[running]")).unwrap();
    assert!(main.contains(&format!("created at {}", file!())), "{text}");
    assert!(
        text.contains("  consumer [waiting] on Queue.get()"),
        "{text}"
    );
    let consumer = dump.find("consumer").unwrap();
    // Kinds compare by what they say.
    static QUEUE_GET: asyncio::WaitKind = asyncio::WaitKind::new("Queue.get()");
    assert_eq!(consumer.waiting_on, WaitingOn::Kind(&QUEUE_GET));
}

#[test]
fn lock_event_and_queue_put_waiters_say_what_they_wait_on() {
    let text = asyncio::run(async {
        let lock = Rc::new(Lock::new());
        let event = Rc::new(Event::new());
        let full = Rc::new(Queue::new(1));
        full.put_nowait(1).unwrap();
        let guard = lock.acquire().await;
        let (l, e, f) = (Rc::clone(&lock), Rc::clone(&event), Rc::clone(&full));
        let locker = create_task_named("locker", async move { drop(l.acquire().await) });
        let waiter = create_task_named("waiter", async move { e.wait().await });
        let putter = create_task_named("putter", async move { f.put(2).await.unwrap() });
        settle().await;
        let text = dump_tasks().to_string();
        drop(guard);
        event.set();
        full.get_nowait().unwrap();
        locker.await.unwrap();
        waiter.await.unwrap();
        putter.await.unwrap();
        text
    })
    .unwrap();
    assert!(
        text.contains("locker [waiting] on Lock.acquire()"),
        "{text}"
    );
    assert!(text.contains("waiter [waiting] on Event.wait()"), "{text}");
    assert!(text.contains("putter [waiting] on Queue.put()"), "{text}");
}

#[test]
fn a_task_group_has_its_children_nested() {
    let text = asyncio::run(async {
        let group = create_task_named("group", async {
            task_group(|tg| async move {
                let _a = tg.create_task(async {
                    sleep(Duration::from_secs(30)).await;
                    Ok::<_, ()>(())
                });
                let _b = tg.create_task(async {
                    sleep(Duration::from_secs(30)).await;
                    Ok::<_, ()>(())
                });
                Ok::<_, ()>(())
            })
            .await
        });
        settle().await;
        let text = dump_tasks().to_string();
        group.cancel();
        settle().await;
        text
    })
    .unwrap();
    assert!(
        text.contains("group [waiting] on TaskGroup (2 of 2 tasks pending)"),
        "{text}"
    );
    let nested = text
        .lines()
        .filter(|l| l.starts_with("  Task-") && l.contains("on sleep"))
        .count();
    assert_eq!(nested, 2, "{text}");
}

#[test]
fn a_task_awaiting_a_pool_job_says_so() {
    let text = asyncio::run(async {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let job = create_task_named("job", asyncio::to_thread(move || rx.recv()));
        settle().await;
        let text = dump_tasks().to_string();
        tx.send(()).unwrap();
        job.await.unwrap().unwrap().unwrap();
        text
    })
    .unwrap();
    assert!(
        text.contains("job [waiting] on run_in_executor()"),
        "{text}"
    );
}

#[test]
fn semaphore_condition_and_barrier_waiters_say_what_they_wait_on() {
    let text = asyncio::run(async {
        let sem = Rc::new(asyncio::Semaphore::new(0));
        let cond = Rc::new(asyncio::Condition::new());
        let barrier = Rc::new(asyncio::Barrier::new(2));
        let (s, c, b) = (Rc::clone(&sem), Rc::clone(&cond), Rc::clone(&barrier));
        let permit = create_task_named("permit", async move { drop(s.acquire().await) });
        let notified = create_task_named("notified", async move {
            let guard = c.lock().await;
            drop(c.wait(guard).await.unwrap());
        });
        let party = create_task_named("party", async move { b.wait().await.unwrap() });
        settle().await;
        let text = dump_tasks().to_string();
        sem.release();
        {
            let _guard = cond.lock().await;
            cond.notify(1).unwrap();
        }
        barrier.wait().await.unwrap();
        permit.await.unwrap();
        notified.await.unwrap();
        party.await.unwrap();
        text
    })
    .unwrap();
    assert!(
        text.contains("permit [waiting] on Semaphore.acquire()"),
        "{text}"
    );
    assert!(
        text.contains("notified [waiting] on Condition.wait()"),
        "{text}"
    );
    assert!(text.contains("party [waiting] on Barrier.wait()"), "{text}");
}

#[test]
fn wait_and_shield_have_their_tasks_nested() {
    let text = asyncio::run(async {
        let a = create_task_named("a", std::future::pending::<()>());
        let b = create_task_named("b", std::future::pending::<()>());
        let (ra, rb) = (a.as_ref(), b.as_ref());
        let waiter = create_task_named("waiter", async move {
            asyncio::wait([a], asyncio::ReturnWhen::AllCompleted, None).await
        });
        let shielder = create_task_named("shielder", async move { asyncio::shield_task(b).await });
        settle().await;
        let text = dump_tasks().to_string();
        waiter.cancel();
        shielder.cancel();
        ra.cancel();
        rb.cancel();
        settle().await;
        text
    })
    .unwrap();
    assert!(
        text.contains("waiter [waiting] on wait() (1 of 1 tasks pending)"),
        "{text}"
    );
    assert!(text.contains("\n  a [waiting]"), "{text}");
    assert!(
        text.contains("shielder [waiting] on shield() (1 of 1 tasks pending)"),
        "{text}"
    );
    assert!(text.contains("\n  b [waiting]"), "{text}");
}
