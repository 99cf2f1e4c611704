//! The queues' waiting on the loop, pinned against CPython 3.11: a woken getter (putter) has
//! no claim on the item (room) that woke it, so `get_nowait` (`put_nowait`) takes it, and the
//! overtaken waiter waits again at the back of the line.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::Queue;

/// tests/python/queue_nowait.py.
#[test]
fn nowait_overtakes_woken_waiters_as_in_cpython() {
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let say = {
        let log = Rc::clone(&log);
        move |line: String| log.borrow_mut().push(line)
    };
    asyncio::run(async move {
        let q = Queue::new(0);
        let getter = |name: &'static str| {
            let (q, say) = (q.clone(), say.clone());
            asyncio::create_task(async move {
                let item = q.get().await.unwrap();
                say(format!("{name} got {item}"));
            })
        };
        let g1 = getter("g1");
        let g2 = getter("g2");
        asyncio::sleep(Duration::ZERO).await; // both wait, g1 first
        q.put_nowait("a").unwrap(); // wakes g1
        say(format!("qsize {}", q.qsize()));
        say(format!("get_nowait {}", q.get_nowait().unwrap()));
        asyncio::sleep(Duration::ZERO).await; // g1 finds it empty: behind g2
        q.put_nowait("b").unwrap();
        q.put_nowait("c").unwrap();
        let (g1, g2) = asyncio::gather!(g1, g2).await.unwrap();
        g1.and(g2).unwrap();

        let q = Queue::new(1);
        q.put_nowait("x").unwrap();
        let putter = |name: &'static str, item: &'static str| {
            let (q, say) = (q.clone(), say.clone());
            asyncio::create_task(async move {
                q.put(item).await.unwrap();
                say(format!("{name} put {item}"));
            })
        };
        let p1 = putter("p1", "y");
        let p2 = putter("p2", "z");
        asyncio::sleep(Duration::ZERO).await; // both wait, p1 first
        say(format!("get_nowait {}", q.get_nowait().unwrap())); // wakes p1
        say(format!("full {}", if q.full() { "True" } else { "False" }));
        q.put_nowait("w").unwrap(); // takes the slot p1 was woken for
        say("put_nowait w".to_owned());
        asyncio::sleep(Duration::ZERO).await; // p1 finds it full: behind p2
        say(format!("get_nowait {}", q.get_nowait().unwrap())); // wakes p2
        asyncio::sleep(Duration::ZERO).await;
        say(format!("get_nowait {}", q.get_nowait().unwrap())); // wakes p1
        let (p1, p2) = asyncio::gather!(p1, p2).await.unwrap();
        p1.and(p2).unwrap();
        say(format!("get_nowait {}", q.get_nowait().unwrap()));
    })
    .unwrap();
    let expected = "qsize 1|get_nowait a|g2 got b|g1 got c|get_nowait x|full False|\
                    put_nowait w|get_nowait w|p2 put z|get_nowait z|p1 put y|get_nowait y";
    assert_eq!(log.borrow().join("|"), expected);
}
