//! Log capture of what a world's tasks log.

use cohttp_mock::{capture_logs, Sim};
use log::Level;

#[test]
fn records_logged_by_spawned_tasks_are_captured_on_the_test_thread() {
    let logs = capture_logs();
    let sim = Sim::new(1);
    let rt = sim.runtime();
    sim.block_on(async {
        rt.spawn(async {
            log::warn!(target: "cohttp::body", "response body dropped unread");
        });
        rt.sleep(std::time::Duration::from_millis(1)).await;
        log::debug!(target: "test", "main future done");
    });
    assert!(logs.contains(Level::Warn, "dropped unread"));
    let records = logs.take();
    assert_eq!(
        records,
        vec![
            (
                Level::Warn,
                "cohttp::body".to_string(),
                "response body dropped unread".to_string()
            ),
            (
                Level::Debug,
                "test".to_string(),
                "main future done".to_string()
            ),
        ]
    );
}

#[test]
fn a_quiet_run_captures_nothing() {
    let logs = capture_logs();
    let sim = Sim::new(2);
    sim.block_on(async {});
    assert!(logs.take().is_empty());
}
