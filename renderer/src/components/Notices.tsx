import { useApp } from "../stores/app";
import { Icon } from "./Icon";

export function Notices() {
    const notices = useApp((s) => s.notices);
    const dismiss = useApp((s) => s.dismiss);
    return (
        <div className="notices" role="status" aria-live="polite">
            {notices.map((n) => (
                <div key={n.id} className={`notice notice-${n.kind}`} data-testid={`notice-${n.kind}`}>
                    <Icon name={n.kind === "error" ? "alert" : n.kind === "success" ? "check" : "bolt"} size={16} className="notice-icon" />
                    <div className="notice-body">
                        <div className="notice-title">{n.title}</div>
                        {n.text && <div className="notice-text">{n.text}</div>}
                    </div>
                    <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}><Icon name="x" size={14} /></button>
                </div>
            ))}
        </div>
    );
}
