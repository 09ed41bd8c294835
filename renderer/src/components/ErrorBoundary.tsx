/** A view that throws shows what went wrong and a way back, instead of a blank window. */
import { Component, type ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
    override state: { error?: Error } = {};

    static getDerivedStateFromError(error: Error) {
        return { error };
    }

    override render() {
        if (!this.state.error) return this.props.children;
        return (
            <div className="view-error" role="alert" data-testid="view-error">
                <h2>This view hit an error</h2>
                <pre>{this.state.error.message}</pre>
                <button type="button" className="button" onClick={() => this.setState({ error: undefined })}>Try again</button>
            </div>
        );
    }
}
