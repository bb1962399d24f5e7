// Scanning a recipient's address from the QR code their MedShare page shows, with the
// camera and the browser's own BarcodeDetector (Chromium on Android and ChromeOS, Safari 17+
// with a flag...). Where the browser has none, the "Scan QR code" button is not shown at all.

import { useEffect, useRef, useState } from 'preact/hooks';

/** The part of the Shape Detection API used here (not in TypeScript's DOM types yet). */
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
type BarcodeDetectorConstructor = new (options: { formats: string[] }) => BarcodeDetectorLike;

/** How often a video frame is looked at. */
const SCAN_INTERVAL_MS = 250;

/** Whether this browser can scan QR codes from the camera. */
export function canScanQr(): boolean {
  return 'BarcodeDetector' in globalThis && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

export function QrScanner({ onFound, onClose }: { onFound: (text: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // the latest callback, without restarting the camera when the parent renders again
  const found = useRef(onFound);
  found.current = onFound;

  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: number | undefined;
    let stopped = false;
    (async () => {
      try {
        const Detector = (globalThis as unknown as { BarcodeDetector: BarcodeDetectorConstructor }).BarcodeDetector;
        const detector = new Detector({ formats: ['qr_code'] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        if (stopped || !video.current) return;
        video.current.srcObject = stream;
        await video.current.play();
        timer = window.setInterval(async () => {
          if (!video.current || video.current.readyState < 2) return;
          const codes = await detector.detect(video.current).catch(() => []);
          const text = codes[0]?.rawValue.trim();
          if (text && !stopped) {
            stopped = true;
            found.current(text);
          }
        }, SCAN_INTERVAL_MS);
      } catch (error) {
        setProblem(`The camera could not be used: ${error instanceof Error ? error.message : String(error)}`);
      }
    })();
    return () => {
      stopped = true;
      window.clearInterval(timer);
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, []);

  return (
    <div class="scanner">
      {problem ? <p class="warning">{problem}</p> : <video ref={video} muted playsInline aria-label="Camera view for the QR code" />}
      <button type="button" class="secondary small-button" onClick={onClose}>
        Stop scanning
      </button>
    </div>
  );
}
